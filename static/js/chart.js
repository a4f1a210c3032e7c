// The one place that names the vendored Chart.js build (scripts/vendor.py rewrites it on a bump).
// Imported as a module, its UMD file sets globalThis.Chart.
import "../vendor/chart-4.6.1.umd.min.js";

export const Chart = globalThis.Chart;
