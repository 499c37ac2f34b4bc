// The audio modules use Node's Buffer; in the browser the `buffer` package stands in for it.
export { Buffer } from 'buffer';
