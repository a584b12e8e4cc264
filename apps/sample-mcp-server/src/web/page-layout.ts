import { createHash } from 'node:crypto';
import escapeHtml from 'escape-html';

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  background:#f4f5f7;color:#1f2328}
main{max-width:44rem;margin:2rem auto;padding:1.75rem;background:#fff;border-radius:12px;
  box-shadow:0 1px 3px rgba(0,0,0,.12),0 8px 24px rgba(0,0,0,.06);overflow-wrap:anywhere}
h1{font-size:1.4rem;margin:0 0 .5rem}
h2{font-size:1.05rem;margin:1.5rem 0 .4rem}
p,ul{margin:.5rem 0}
li{margin:.35rem 0}
code{font-size:.9rem;background:#f6f8fa;padding:.1rem .35rem;border-radius:4px}
pre{background:#f6f8fa;padding:.7rem .9rem;border-radius:8px;white-space:pre-wrap;
  overflow-wrap:anywhere;font-size:.9rem}
a{color:#0969da}
.muted{color:#59636e;font-size:.92rem}
`.trim();

/** Only this exact stylesheet may apply; no script runs on these pages at all. */
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Headers of every page the sample serves: strict CSP, no framing, no sniffing, no referrer. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** A whole page around `body`, which the caller has built from escaped values only. */
export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}
