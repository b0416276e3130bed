// What try-panel.js adds to the editor's window (octopus-parse.html calls it), for the browser
// type check (tsconfig.browser.json); not served.
interface Window {
  OctopusParseTry?: {
    open(node: { id: string }, enabledProfiles: () => string[]): void;
  };
}
