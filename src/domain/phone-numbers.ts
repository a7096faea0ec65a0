// Country calling codes (ITU-T E.164) of telephony numbers, for
// ConversationPhoneNumber.country_code. Codes are prefix-free: 1 and 7 are the
// only one-digit codes, the two-digit ones are listed, every other is three digits.

const TWO_DIGIT_CODES = new Set([
  20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65,
  66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
]);

/** The country calling code of an E.164 number ("+33123456789" -> 33); 0 when it is not one. */
export function countryCallingCode(e164: string): number {
  const digits = /^\+([1-9]\d{1,14})$/.exec(e164)?.[1];
  if (digits === undefined) return 0;
  if (digits[0] === "1" || digits[0] === "7") return Number(digits[0]);
  const two = Number(digits.slice(0, 2));
  if (TWO_DIGIT_CODES.has(two)) return two;
  return digits.length >= 3 ? Number(digits.slice(0, 3)) : 0;
}
