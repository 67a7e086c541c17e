/** Longer request targets are refused (414); the panel's own are under 100 characters. */
export const MAX_TARGET_LENGTH = 2048;

export type StaticTarget = { ok: true; relative: string } | { ok: false; status: 400 | 404 | 414; reason: string };

/**
 * The file a request target names, relative to the renderer's folder, or why it names none. Decided on the text
 * alone, before the file system sees it, so that nothing can make fs throw (a NUL byte does) or climb out of the
 * folder: refused are a target that is not a path ("*", "http://..."), a bad percent-encoding (an overlong UTF-8
 * "%C0%AE" is one: decodeURIComponent refuses it), control characters and NUL, backslashes, empty segments, and any
 * "." or ".." segment, encoded or not.
 */
export function staticTarget(target: string): StaticTarget {
  if (target.length > MAX_TARGET_LENGTH) return refuse(414, `targets are limited to ${MAX_TARGET_LENGTH} characters`);
  if (!target.startsWith('/')) return refuse(400, 'not a path');
  const end = target.search(/[?#]/);
  let pathname: string;
  try {
    pathname = decodeURIComponent(end === -1 ? target : target.slice(0, end));
  } catch {
    return refuse(400, 'bad percent-encoding');
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f\\]/.test(pathname)) return refuse(400, 'a control character or a backslash');
  const segments = pathname.slice(1).split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) return refuse(400, 'a "." or ".." segment');
  if (segments.slice(0, -1).some((segment) => segment === '')) return refuse(400, 'an empty segment');
  // A folder: only the root has an index (path.resolve would drop the slash and serve "index.html/" as the file).
  if (pathname !== '/' && pathname.endsWith('/')) return refuse(404, 'a folder');
  return { ok: true, relative: pathname === '/' ? 'index.html' : pathname.slice(1) };
}

function refuse(status: 400 | 404 | 414, reason: string): StaticTarget {
  return { ok: false, status, reason };
}
