import { Global, Module } from '@nestjs/common';
import { CsrfService } from './csrf.service';
import { FieldCipher } from './field-cipher';

@Global()
@Module({ providers: [FieldCipher, CsrfService], exports: [FieldCipher, CsrfService] })
export class SecurityModule {}
