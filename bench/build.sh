#!/bin/sh
# Compiles bench/ (and the product sources it imports) into bench/dist/.
set -eu
cd "$(dirname "$0")/.."
tsc -p bench/tsconfig.json
# The product finds its bundled pipelines and the event schema two folders above its modules
# (src/config/load-pipeline.ts, src/transforms/validate/validate.ts, src/searches/load.ts): from bench/dist/src/** that is
# bench/dist/, so the folders are linked there.
for dir in pipelines mappings searches; do
  ln -sfn "../../$dir" "bench/dist/$dir"
done
