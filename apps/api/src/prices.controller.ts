import { Controller, Get } from '@nestjs/common';
import { SignedIn } from '@metering/auth';
import { Price, PriceRepository } from '@metering/db';

@Controller('v1/prices')
export class PricesController {
  constructor(private readonly prices: PriceRepository) {}

  @Get()
  @SignedIn()
  list(): Promise<Price[]> {
    return this.prices.all();
  }
}
