#!/usr/bin/env node
'use strict';
require('../dist/cli/ccmlab-main.js');
