// Where each pool setting of GET /api/settings shows on the settings page: a group per panel,
// in this order. Adding a setting is one line here (and its label, `setting.<name>`, and hint,
// `setting.<name>_hint`, in the message files); its type, bounds and choices come from
// GET /api/settings/schema. A setting the API has and this table does not shows under "Other".
export const GROUPS = [
  { id: "pool", fields: [
    "strategy",
    "max_attempts",
    "max_key_failovers",
    "request_deadline_s",
    "upstream_timeout_s",
    "candidate_ttl_s",
    "candidate_window",
  ] },
  { id: "free_models", fields: [
    "free_models",
  ] },
  { id: "checks", fields: [
    "check_concurrency",
    "check_interval_ms",
    "check_interval_min_ms",
    "check_interval_max_ms",
    "check_retries",
    "check_timeout_s",
    "check_budget",
    "check_on_import",
    "client_side_checking",
  ] },
  { id: "refresh", fields: [
    "refresh_interval_s",
    "refresh_batch",
  ] },
  { id: "logs", fields: [
    "request_log",
    "request_log_sample_rate",
    "log_retention_days",
    "log_max_rows",
    "log_flush_s",
  ] },
  { id: "alerts", extra: "test_alert", fields: [
    "alert_webhook_url",
    "alert_min_total_balance",
    "alert_min_valid_keys",
  ] },
  { id: "sharing", extra: "guest_password", fields: [
    "access_mode",
    "visitor_copy",
    "page_size",
  ] },
  { id: "security", fields: [
    "admin_ip_allowlist",
  ] },
];

// The settings of `values` in no group above, in name order: the "Other" group.
export function otherFields(values) {
  const known = new Set(GROUPS.flatMap((group) => group.fields));
  return Object.keys(values).filter((name) => !known.has(name)).sort();
}
