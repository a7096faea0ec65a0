/** A statement as the service sent it: text, prepared-statement name and parameters. */
export interface RecordedStatement {
  readonly name: string | undefined;
  readonly text: string;
  readonly values: readonly unknown[];
}
