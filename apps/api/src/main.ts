import 'reflect-metadata';
import { runService } from '@metering/service';
import { createApiApp } from './app';

runService('api', createApiApp, (c) => c.ports.api);
