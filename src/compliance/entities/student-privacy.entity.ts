import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Per-student privacy settings: the directory-information opt-out (FERPA). */
@Entity('student_privacy_settings')
export class StudentPrivacySetting {
  @PrimaryColumn({ type: 'uuid' })
  studentId: string;

  /** Directory information (name, grade, subjects) is withheld from anyone but school officials. */
  @Column({ type: 'boolean', default: false })
  directoryOptOut: boolean;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
