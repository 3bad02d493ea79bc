#!/usr/bin/env node
console.log("ws-b")
