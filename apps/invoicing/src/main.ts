import 'reflect-metadata';
import { runService } from '@metering/service';
import { createInvoicingApp } from './app';

runService('invoicing', createInvoicingApp, (c) => c.ports.invoicing);
