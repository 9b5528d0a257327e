// The one check every line to the IRC server passes: no parameter may end the line (CR, LF, NUL) and no middle
// parameter may shift the ones after it (a space, a leading colon, or nothing at all). Whatever a Matrix user wrote,
// it can never become a second IRC command.

const UNSAFE = /[\r\n\0]/;

export class UnsafeIrcParameterError extends Error {
  constructor() {
    super("refusing to send an IRC parameter that could end the line or shift the parameters");
    this.name = "UnsafeIrcParameterError";
  }
}

export function checkParams(params: string[]): void {
  params.forEach((param, i) => {
    const middle = i < params.length - 1;
    if (UNSAFE.test(param) || (middle && (param === "" || /\s/.test(param) || param.startsWith(":")))) {
      throw new UnsafeIrcParameterError();
    }
  });
}
