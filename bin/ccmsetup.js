#!/usr/bin/env node
'use strict';
// The program's main, run as this process's one command (dist/cli/exit.js owns its exit).
const { runMain } = require('../dist/cli/exit.js');
const { program, main } = require('../dist/cli/ccmsetup-main.js');
void runMain(program, process.argv.slice(2), main);
