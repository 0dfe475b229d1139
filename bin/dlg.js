#!/usr/bin/env node
import "../dist/cli/dlg.js";
