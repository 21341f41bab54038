// Placeholder until the Sentry layer lands: Sentry is initialised here (bunfig preload) when SENTRY_DSN is set.
export {};
