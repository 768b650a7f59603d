#!/usr/bin/env node
// Runs the built command line; `npm run build` (or `npm start`) produces dist/.
import '../dist/src/cli.js';
