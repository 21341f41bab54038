/**
 * The helper scripts' facts table and the suggestion made from a container's tags, description and hostname.
 */
import { describe, expect, test } from "bun:test";
import { factsOf } from "../../../scripts/gen-helper-scripts.ts";
import {
  HELPER_SCRIPT_COUNT,
  helperScript,
  parseDescription,
  suggest,
} from "../../../src/features/apps/helper-scripts/suggest.ts";
import { helperDescription } from "../../helpers/helper-scripts.ts";

describe("the generated table", () => {
  test("holds the scripts' facts (hundreds of them), with the app's own address first", () => {
    expect(HELPER_SCRIPT_COUNT).toBeGreaterThan(400);
    expect(helperScript("uptimekuma")).toEqual({
      slug: "uptimekuma",
      name: "Uptime Kuma",
      category: "analytics",
      port: 3001,
      https: false,
      website: "https://uptime.kuma.pet/",
    });
    // Home Assistant's script also prints Portainer's address after the app's own.
    expect(helperScript("homeassistant")?.port).toBe(8123);
  });

  test("the generator reads a script's name, first tag, announced address and source", () => {
    const script = `#!/usr/bin/env bash
# Source: https://example.org/ | Github: https://github.com/x/y
APP="My App"
var_tags="\${var_tags:-media;arr}"
function update_script() {
  msg_ok "see http://\${IP}:1111 for the changelog"
}
start
build_container
description
echo -e "\${GATEWAY}\${BGN}https://\${IP}:8443/admin\${CL}"
echo -e "\${GATEWAY}\${BGN}API: http://\${IP}:9000\${CL}"
`;
    expect(factsOf("myapp", script)).toEqual({
      slug: "myapp",
      name: "My App",
      category: "media",
      port: 8443,
      https: true,
      website: "https://example.org/",
    });
    expect(factsOf("x", 'APP="X"\ndescription\necho "http://${IP}"')?.port).toBe(80);
    expect(factsOf("x", 'APP="X"\ndescription\necho "done"')?.port).toBeNull();
    expect(factsOf("lib", "# not an app script")).toBeNull();
  });
});

describe("suggestions", () => {
  test("the description's link names the script even when the hostname was changed", () => {
    expect(parseDescription(helperDescription("Vaultwarden", "vaultwarden"))).toEqual({
      slug: "vaultwarden",
      app: "Vaultwarden",
    });
    expect(
      suggest({
        hostname: "passwords",
        tags: "community-script;password-manager",
        description: helperDescription("Vaultwarden", "vaultwarden"),
      }),
    ).toMatchObject({ name: "Vaultwarden", slug: "vaultwarden", source: "community-scripts", port: 8000 });
  });

  test("the older layout without a link: the heading's name finds the script", () => {
    const older = "<div align='center'><h2 style='font-size: 24px'>Home Assistant LXC</h2></div>";
    expect(suggest({ hostname: "ha", description: older })).toMatchObject({
      slug: "homeassistant",
      source: "community-scripts",
      port: 8123,
    });
  });

  test("only the tag and the scripts' default hostname", () => {
    expect(suggest({ hostname: "jellyfin", tags: "community-script;media" })).toMatchObject({
      name: "Jellyfin",
      source: "community-scripts",
      category: "media",
    });
  });

  test("a container made by hand: named from the table when its hostname matches, never claimed", () => {
    expect(suggest({ hostname: "jellyfin" })).toMatchObject({
      name: "Jellyfin",
      source: "unknown",
      port: 8096,
    });
    expect(suggest({ hostname: "files", tags: "nas" })).toMatchObject({
      name: "files",
      slug: null,
      source: "unknown",
      port: null,
      website: null,
      category: null,
    });
  });

  test("a tagged container the table does not know keeps its heading's name and its own tags", () => {
    expect(
      suggest({
        hostname: "thing",
        tags: "community-script;tools",
        description: "<h2 style='x'>Brand New LXC</h2>",
      }),
    ).toMatchObject({ name: "Brand New", slug: null, source: "community-scripts", category: "tools" });
  });
});
