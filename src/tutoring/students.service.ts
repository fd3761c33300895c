import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FieldCipher } from '../security/field-cipher';
import { emailBlindIndex } from '../security/keyed-hash';
import { Student } from './entities/student.entity';

/**
 * Students found by their personal data. Names and emails are encrypted at
 * rest, so lookups go through the blind indexes (keyed hashes of the
 * normalised address); what comes back is decrypted by the entity.
 */
@Injectable()
export class StudentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {}

  /** The students whose parent email is `email` (any case), by externalId. */
  findByParentEmail(email: string): Promise<Student[]> {
    return this.dataSource.getRepository(Student).find({
      where: { parentEmailIndex: emailBlindIndex(this.cipher, email) },
      order: { externalId: 'ASC' },
    });
  }

  /** The students whose own email is `email` (any case), by externalId. */
  findByEmail(email: string): Promise<Student[]> {
    return this.dataSource.getRepository(Student).find({
      where: { emailIndex: emailBlindIndex(this.cipher, email) },
      order: { externalId: 'ASC' },
    });
  }
}
