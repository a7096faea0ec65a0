// Served as /console/emulator.js when EMULATOR_RESET is off. With it on, the
// service answers this path itself with `reset: true`, and the console offers
// to erase, export and import the parent's project.
export default { reset: false };
