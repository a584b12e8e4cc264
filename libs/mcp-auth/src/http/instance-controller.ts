import type { Type } from '@nestjs/common';

/**
 * A controller class of one module instance's own. Route metadata (`@Controller()` with the
 * prefix and host known only once options resolve) is written on this subclass, so two
 * instances of a module mount the same controller independently and the shared class stays
 * untouched.
 */
export function instanceController(controller: Type<unknown>): Type<unknown> {
  const Base = controller as new (...args: never[]) => object;
  const subclass = class extends Base {};
  Object.defineProperty(subclass, 'name', { value: controller.name });
  return subclass;
}
