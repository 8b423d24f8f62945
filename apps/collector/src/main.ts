import 'reflect-metadata';
import { runService } from '@metering/service';
import { createCollectorApp } from './app';

runService('collector', createCollectorApp, (c) => c.ports.collector);
