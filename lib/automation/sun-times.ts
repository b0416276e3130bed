/**
 * Sunrise and sunset for a place and day, from the astronomical formulas of
 * https://aa.quae.nl/en/reken/zonpositie.html (the ones the suncalc package uses, to the same
 * result), so the pack needs no dependency for it. Pure; times in ms since the epoch, NaN where
 * the sun does not rise or set that day (polar day or night).
 */

const RAD = Math.PI / 180;
const DAY_MS = 86_400_000;
const J1970 = 2_440_588;
const J2000 = 2_451_545;
const J0 = 0.0009;
/** Obliquity of the Earth. */
const E = RAD * 23.4397;
/** The sun's upper limb on the horizon, with refraction. */
const H0 = -0.833 * RAD;

const toDays = (ms: number) => ms / DAY_MS - 0.5 + J1970 - J2000;
const fromJulian = (j: number) => (j + 0.5 - J1970) * DAY_MS;
const solarMeanAnomaly = (d: number) => RAD * (357.5291 + 0.98560028 * d);
const eclipticLongitude = (m: number) => m + RAD * (1.9148 * Math.sin(m) + 0.02 * Math.sin(2 * m) + 0.0003 * Math.sin(3 * m)) + RAD * 102.9372 + Math.PI;
const approxTransit = (ht: number, lw: number, n: number) => J0 + (ht + lw) / (2 * Math.PI) + n;
const solarTransitJ = (ds: number, m: number, l: number) => J2000 + ds + 0.0053 * Math.sin(m) - 0.0069 * Math.sin(2 * l);

/** Sunrise and sunset of the solar day nearest `at` at latitude/longitude (degrees). */
export function sunTimes(at: number, latitude: number, longitude: number): { sunrise: number; sunset: number } {
  const lw = RAD * -longitude;
  const phi = RAD * latitude;
  const d = toDays(at);
  const n = Math.round(d - J0 - lw / (2 * Math.PI));
  const ds = approxTransit(0, lw, n);
  const m = solarMeanAnomaly(ds);
  const l = eclipticLongitude(m);
  const dec = Math.asin(Math.sin(E) * Math.sin(l));
  const noon = solarTransitJ(ds, m, l);
  const w = Math.acos((Math.sin(H0) - Math.sin(phi) * Math.sin(dec)) / (Math.cos(phi) * Math.cos(dec)));
  const set = solarTransitJ(approxTransit(w, lw, n), m, l);
  return { sunrise: fromJulian(noon - (set - noon)), sunset: fromJulian(set) };
}
