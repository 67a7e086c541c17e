import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from './App.js';
import { connect } from './client/connect.js';
import { hideIdleCursor } from './kioskCursor.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
if (new URLSearchParams(location.search).has('kiosk')) hideIdleCursor(document);
createRoot(root).render(
  <StrictMode>
    <App connection={connect()} />
  </StrictMode>,
);
