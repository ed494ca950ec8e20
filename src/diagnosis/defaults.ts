/** How long the churn of nodes.management.cattle.io is watched when nobody says. */
export const DEFAULT_WATCH_SECONDS = 60;
