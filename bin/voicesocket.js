#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm install` (prepare) and `npm start` build it.
import '../dist/cli/main.js';
