// pg's conversion of a parameter to what it sends (arrays to array literals,
// objects to JSON, dates to timestamps), which its Query binds with; exported
// by pg as "pg/lib/*" and untyped there.
declare module "pg/lib/utils.js" {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}
