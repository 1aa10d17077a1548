import type { UserManager } from "oidc-client-ts";

export interface OidcSettings {
  issuer: string;
  clientId: string;
  scope: string;
}

/**
 * OpenID Connect with oidc-client-ts: authorization code with PKCE at the provider whose key set the
 * API trusts. Loaded only when the server offers it, so demo and API-key users never download it.
 */
export async function oidcClient(settings: OidcSettings): Promise<UserManager> {
  const { UserManager, WebStorageStateStore } = await import("oidc-client-ts");
  return new UserManager({
    authority: settings.issuer,
    client_id: settings.clientId,
    redirect_uri: `${location.origin}/auth/callback`,
    post_logout_redirect_uri: `${location.origin}/signin`,
    response_type: "code",
    scope: settings.scope,
    // The PKCE verifier and state live only as long as the tab's sign-in round trip.
    stateStore: new WebStorageStateStore({ store: sessionStorage }),
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    loadUserInfo: false,
    automaticSilentRenew: false,
  });
}
