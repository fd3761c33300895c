import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './error-body';

/** Flattens class-validator errors into `{ field, message }` pairs with dotted paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ field, message: rewriteMessage(message, error.property, field) });
    }
    if (error.children?.length) out.push(...flattenValidationErrors(error.children, field));
  }
  return out;
}

function rewriteMessage(message: string, property: string, field: string): string {
  if (message === `property ${property} should not exist`) return `${field} is not a known field`;
  return message.startsWith(property) ? field + message.slice(property.length) : message;
}

export class ValidationFailed extends BadRequestException {
  constructor(readonly fieldErrors: FieldError[]) {
    super(fieldErrors.map((e) => e.message).join('; '));
  }
}

/** The global pipe: whitelist DTOs, refuse unknown fields, transform query strings. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailed(flattenValidationErrors(errors)),
  });
}
