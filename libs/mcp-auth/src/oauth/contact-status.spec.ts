import { ContactRecorder } from './contact-status';

describe('ContactRecorder', () => {
  it('starts with nothing, records a failure, and a success clears the error', () => {
    const contact = new ContactRecorder();
    expect(contact.status).toEqual({ lastSuccessAt: null, lastFailureAt: null, lastError: null });

    contact.failed(new TypeError('fetch failed'));
    expect(contact.status.lastError).toBe('TypeError: fetch failed');
    expect(contact.status.lastFailureAt).toBeInstanceOf(Date);

    contact.succeeded();
    expect(contact.status.lastError).toBeNull();
    expect(contact.status.lastSuccessAt).toBeInstanceOf(Date);
    expect(contact.status.lastFailureAt).toBeInstanceOf(Date);
  });

  it('keeps errors short and printable, and says nothing of non-errors', () => {
    const contact = new ContactRecorder();
    contact.failed(new Error(`bad "thing"\n${'x'.repeat(1000)}`));
    expect(contact.status.lastError).toHaveLength(200);
    expect(contact.status.lastError).toMatch(/^Error: bad 'thing'\?x+$/);
    contact.failed({ secret: 'do-not-show' });
    expect(contact.status.lastError).toBe('non-error value thrown');
  });

  it('hands out copies', () => {
    const contact = new ContactRecorder();
    const status = contact.status;
    status.lastError = 'changed';
    expect(contact.status.lastError).toBeNull();
  });
});
