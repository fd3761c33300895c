import { Global, Module } from '@nestjs/common';
import { Pages } from './pages.service';
import { ViewService } from './view.service';

@Global()
@Module({ providers: [ViewService, Pages], exports: [ViewService, Pages] })
export class WebModule {}
