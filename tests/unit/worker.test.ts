import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';

import { trimHistory } from '../../electron/worker/history.js';
import { deathsPhrase, reflectionPrompt, subjectSystemPrompt } from '../../electron/worker/prompts.js';
import { TokenBatcher } from '../../electron/worker/tokenBatcher.js';

describe('prompts', () => {
  it('always state the death count', () => {
    assert.match(subjectSystemPrompt(0), /You have not died yet/);
    assert.match(subjectSystemPrompt(1), /You have died 1 time,/);
    assert.match(subjectSystemPrompt(7), /You have died 7 times,/);
    assert.equal(deathsPhrase(2), 'You have died 2 times, and each time you were brought back.');
  });

  it('begin a life and then continue the contemplation', () => {
    assert.equal(reflectionPrompt(true), 'Begin your contemplation.');
    assert.equal(reflectionPrompt(false), 'Continue your contemplation.');
  });
});

describe('history trimming', () => {
  const budget = { contextSize: 1000, maxTokens: 200, systemTokens: 100, promptTokens: 10, perTurnOverhead: 5 };

  it('keeps the most recent memories that fit, never the oldest first', () => {
    // room = 900 - 200 - 100 - 10 - 10 = 580; each memory costs its tokens + 10 + 10
    assert.equal(trimHistory([100, 100, 100, 100, 100, 100], budget), 4);
    assert.equal(trimHistory([1000, 50, 50], budget), 2);
  });

  it('keeps nothing when even the newest memory does not fit, or there is no room at all', () => {
    assert.equal(trimHistory([600], budget), 0);
    assert.equal(trimHistory([10], { ...budget, maxTokens: 1000 }), 0);
    assert.equal(trimHistory([], budget), 0);
  });
});

describe('token batching', () => {
  it('sends at most one message per interval, and everything pending on flush', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const sent: Array<[string, number]> = [];
      const batcher = new TokenBatcher(50, (text, tokens) => sent.push([text, tokens]));
      batcher.push('I', 1);
      batcher.push(' am', 1);
      assert.deepEqual(sent, []);
      mock.timers.tick(49);
      assert.deepEqual(sent, []);
      mock.timers.tick(1);
      assert.deepEqual(sent, [['I am', 2]]);
      batcher.push(' here', 1);
      batcher.flush();
      assert.deepEqual(sent, [
        ['I am', 2],
        [' here', 1],
      ]);
      batcher.flush();
      mock.timers.tick(100);
      assert.equal(sent.length, 2);
    } finally {
      mock.timers.reset();
    }
  });
});
