import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export interface FieldError {
  field: string;
  message: string;
}

/** The one error body of every 4xx and 5xx answer. */
export class ErrorBody {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'Bad Request' })
  error: string;

  @ApiProperty({ example: 'limit must not be greater than 500' })
  message: string;

  @ApiPropertyOptional({
    description: 'Per-field problems, when there are several',
    type: Object,
    isArray: true,
  })
  details?: FieldError[] | Record<string, unknown>;
}

export class DetailedHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: ErrorBody['details'],
  ) {
    super(message);
  }
}
