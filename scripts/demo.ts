/** `pnpm demo` (root package.json) runs the demo in `scripts/demo/`. */
import './demo/main.js';
