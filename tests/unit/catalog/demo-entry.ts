/** What the demo catalog entries of these tests share: all but version, ports, environment and compose. */
export const DEMO_ENTRY = {
  id: "demo",
  name: "Demo",
  description: "Demo app.",
  category: "tools",
  icon: "https://example.com/i.svg",
  website: "https://example.com",
  os_template: "alpine-3.22",
  min: { cores: 1, memory_mb: 256, disk_gb: 1 },
};
