#!/bin/sh
# s6-svstat's contestant: the run script of the supervised service.
exec sleep 100000
