/**
 * Which of `offered` (media types such as `text/html`) the `Accept` header prefers, the way
 * Express's `request.accepts()` decides, without depending on the HTTP adapter: the highest
 * quality; between equals the more specific range (`text/html` over `text/*` over `*\/*`),
 * then the range listed first, then the type offered first. No header accepts anything (the
 * first offer); `undefined` when nothing offered is acceptable.
 */
export function preferredMediaType(
  accept: string | undefined,
  offered: readonly string[],
): string | undefined {
  if (accept === undefined || accept.trim() === '') return offered[0];
  const ranges = parseAccept(accept);
  let best: { type: string; q: number; specificity: number; position: number } | undefined;
  offered.forEach((type, index) => {
    const [main, sub] = type.toLowerCase().split('/');
    let match: { q: number; specificity: number; position: number } | undefined;
    for (const range of ranges) {
      const specificity =
        range.main === main && range.sub === sub
          ? 2
          : range.main === main && range.sub === '*'
            ? 1
            : range.main === '*' && range.sub === '*'
              ? 0
              : -1;
      // The most specific range that matches decides the type's quality (RFC 9110 §12.5.1).
      if (specificity >= 0 && (!match || specificity > match.specificity)) {
        match = { q: range.q, specificity, position: range.position };
      }
    }
    if (!match || match.q <= 0) return;
    const better =
      !best ||
      match.q > best.q ||
      (match.q === best.q && match.specificity > best.specificity) ||
      (match.q === best.q &&
        match.specificity === best.specificity &&
        match.position < best.position);
    if (better) best = { type: offered[index], ...match };
  });
  return best?.type;
}

interface MediaRange {
  main: string;
  sub: string;
  q: number;
  position: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  accept.split(',').forEach((part, position) => {
    const [type, ...parameters] = part.split(';').map((p) => p.trim());
    const [main, sub] = type.toLowerCase().split('/');
    if (!main || !sub) return;
    let q = 1;
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=').map((p) => p.trim());
      if (name.toLowerCase() === 'q') q = Number(value);
    }
    if (Number.isNaN(q)) q = 0;
    ranges.push({ main, sub, q, position });
  });
  return ranges;
}
