/** Headless Chromium as every browser test and the live bench start it: Debian's package, no sandbox, no GPU. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/**
 * Signs in through the dashboard's own sign-in page, as a person would: /ui redirects there, the
 * form posts the credentials, and the page returns to /ui (the #fragment kept).
 */
export async function signIn(page: import('playwright-core').Page, baseUrl: string, username: string, password: string, hash = ''): Promise<void> {
  await page.goto(`${baseUrl}/ui/${hash}`);
  await page.waitForURL(/\/ui\/login/);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#sign-in');
  await page.waitForURL((url) => url.pathname.endsWith('/ui/'));
}
