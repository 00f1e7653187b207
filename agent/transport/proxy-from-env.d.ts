// proxy-from-env 2.x ships no types.
declare module 'proxy-from-env' {
  /** The proxy URL for `url` from *_PROXY / NO_PROXY in process.env; '' when none applies. */
  export function getProxyForUrl(url: string | URL): string;
}
