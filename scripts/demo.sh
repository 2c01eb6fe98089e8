#!/usr/bin/env bash
# Quick start 1: install photogate and run the whole pipeline on the embedded default
# (files and SQLite under ./var). Prints the shop's URL; Ctrl-C stops everything.
source "$(dirname "$0")/_venv.sh" ""
exec .venv/bin/photogate up "$@"
