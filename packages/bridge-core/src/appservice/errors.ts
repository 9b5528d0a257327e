// Errors that become Matrix-style HTTP error responses: `{"errcode": "M_…", "error": "…"}` with a status code.

export class MatrixApiError extends Error {
  readonly status: number;
  readonly errcode: string;

  constructor(status: number, errcode: string, message: string) {
    super(message);
    this.name = "MatrixApiError";
    this.status = status;
    this.errcode = errcode;
  }

  toJSON(): { errcode: string; error: string } {
    return { errcode: this.errcode, error: this.message };
  }
}

export const notFound = (what: string): MatrixApiError => new MatrixApiError(404, "M_NOT_FOUND", what);
export const badJson = (what: string): MatrixApiError => new MatrixApiError(400, "M_BAD_JSON", what);
