// Checks the center makes on names and passwords, made before sending so
// that a form can say what is wrong as one types.

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** checkName accepts user, token and policy names: 1 to 64 letters, digits and ._@-, starting with a letter or digit. */
export function checkName(name: string): boolean {
  return namePattern.test(name);
}

/** checkPassword wants 10 to 1024 bytes. */
export function checkPassword(pw: string): 'ok' | 'short' | 'long' {
  const n = new TextEncoder().encode(pw).length;
  if (n < 10) return 'short';
  return n > 1024 ? 'long' : 'ok';
}
