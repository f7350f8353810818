/** A database URL fit for logs and errors: the password (and any `password=` query parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    // Not parseable: keep the scheme and host-ish part only.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
