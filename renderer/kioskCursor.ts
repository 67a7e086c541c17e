/**
 * On the board's display nobody needs a mouse pointer over the charts: in kiosk mode (`?kiosk` in the page's address)
 * the cursor hides after a few seconds without movement and comes back on the next move. Returns the undo.
 */
export function hideIdleCursor(doc: Document, idleMs = 3000): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const idle = () => doc.body.classList.add('cursor-idle');
  const moved = () => {
    doc.body.classList.remove('cursor-idle');
    if (timer) clearTimeout(timer);
    timer = setTimeout(idle, idleMs);
  };
  doc.addEventListener('mousemove', moved, { passive: true });
  moved();
  return () => {
    doc.removeEventListener('mousemove', moved);
    if (timer) clearTimeout(timer);
    doc.body.classList.remove('cursor-idle');
  };
}
