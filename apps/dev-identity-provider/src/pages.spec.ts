import { escapeHtml, loginPage } from './pages';

describe('the pages', () => {
  it('escape what they show', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
    const html = loginPage({ uid: 'u1', clientName: '<script>', username: '"><x' });
    expect(html).not.toContain('<script>');
    expect(html).toContain('value="&quot;&gt;&lt;x"');
    expect(html).toContain('<form method="post" action="/interaction/u1/login">');
  });
});
