import { Global, Module } from '@nestjs/common';
import { Clock } from './clock';
import { WebActivity } from './web-activity';

@Global()
@Module({ providers: [Clock, WebActivity], exports: [Clock, WebActivity] })
export class CommonModule {}
