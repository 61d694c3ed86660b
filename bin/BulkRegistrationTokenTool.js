#!/usr/bin/env node
'use strict';
require('../dist/cli/BulkRegistrationTokenTool-main.js');
