import { Global, Module } from '@nestjs/common';
import { registerFieldCipher } from '../database/encrypted-column';
import { CsrfService } from './csrf.service';
import { FieldCipher } from './field-cipher';

@Global()
@Module({ providers: [FieldCipher, CsrfService], exports: [FieldCipher, CsrfService] })
export class SecurityModule {
  // Module classes are built with the providers, before any lifecycle hook or
  // request, so encrypted entity columns can decrypt from the first query on.
  constructor(cipher: FieldCipher) {
    registerFieldCipher(cipher);
  }
}
