// The one place that names the vendored Preact + htm build (scripts/vendor.py rewrites it on a bump).
export * from "../vendor/htm-preact-standalone-3.1.1.js";
