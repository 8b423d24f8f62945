import { BodyRefusalReason, ProblemException } from '@metering/service';

/** Why a whole request was refused: the label of collector_requests_refused_total. */
export type RefusalReason =
  | BodyRefusalReason
  | 'unsupported_media_type'
  | 'not_utf8'
  | 'not_json'
  | 'not_events'
  | 'too_many_events'
  | 'kafka_unavailable';

/** A refused request, as problem details, carrying its reason for the metrics. */
export class Refusal extends ProblemException {
  constructor(
    readonly reason: RefusalReason,
    status: number,
    detail: string,
    headers: Record<string, string> = {},
  ) {
    super(status, detail, { headers });
  }
}
